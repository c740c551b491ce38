"""vgx.runtime"""
