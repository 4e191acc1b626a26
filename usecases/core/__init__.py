"""Shared core: device, model store, training runner, tables, business math, model holder."""
