"""Floors: small honest programs that do the work no implementation of a job can skip.

A benchmark reports madoguchi's figure as a ratio to its floor measured in the same run, on
the same machine and database, so that a noisy machine moves both and the ratio stays.
Each floor uses the plain libraries (zipfile, lxml, cryptography, the DB-API driver, the
csv module) with no framework, caches nothing between jobs that a real job could not, and
skips no check that makes the job correct.
"""
