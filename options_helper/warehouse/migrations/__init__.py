"""Numbered ``NNN_name.sql`` migrations shipped as package data."""
