"""Importers: published catalogues converted into ratecard catalogs and rules (`ratecard import`)."""
