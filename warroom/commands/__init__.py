"""The CLI's command families; `warroom.cli` assembles them."""
