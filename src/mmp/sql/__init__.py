"""Secure SQL templating and warehouse access."""
