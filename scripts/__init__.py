"""Developer scripts (not shipped): the README screenshots and their helpers.

A package so the tests can import the screenshot generator instead of shelling out.
"""
