"""vgx.train: the model zoo (plain nn.Modules), datasets, losses and training loops."""
