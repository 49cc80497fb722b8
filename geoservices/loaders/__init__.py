"""Loaders for the staged real data. Each returns a :class:`LoadReport`.

Loaders are called by thin management commands and run inside one
transaction each, so a failure leaves the stored data as it was.
"""
