"""Intake's HTTP API: it translates requests into commands and queries; the rules live below."""
