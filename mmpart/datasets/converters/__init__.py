"""Converters: the PIN++ release reader and converter, the PartImageNet json cleaner, the synthetic PIN++ generator."""
