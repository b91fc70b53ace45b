"""The agents of a market session, one small module per kind (see base.py for what they share)."""
