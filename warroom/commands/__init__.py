"""The commands' bodies: plain functions, called by the click declarations in
`warroom.cli`, which import each one when its command runs."""
