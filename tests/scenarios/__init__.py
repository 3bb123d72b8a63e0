"""Tests of the gold scenario generators."""
