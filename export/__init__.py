"""vgx.export"""
