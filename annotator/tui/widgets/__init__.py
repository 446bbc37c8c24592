"""Widgets of the annotation app: the Line-API article view, the label bar, the status line."""
