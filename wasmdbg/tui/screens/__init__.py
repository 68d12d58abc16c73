"""The app's modal screens: help and go-to-address."""
