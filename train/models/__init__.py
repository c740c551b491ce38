"""One small file of plain nn.Modules per network; `vgx.train.zoo` registers them."""
