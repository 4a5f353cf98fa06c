"""The portal's pages, one module each (Dash `use_pages` loads them); each is a leaf."""
