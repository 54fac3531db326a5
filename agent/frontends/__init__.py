"""Front ends consume events and submit ops; they never call tools or the model themselves."""
