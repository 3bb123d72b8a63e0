"""Tests of batch experiments: experiment files, designs, runner, results store."""
