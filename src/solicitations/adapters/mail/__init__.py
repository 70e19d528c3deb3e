"""The buyer's email: rendering (Jinja2 templates, gettext catalogs, Babel formats) and transports."""
