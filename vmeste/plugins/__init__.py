"""Built-in plugins. They register through the same hooks as third-party plugins, so
anything they do a region can replace by disabling one and installing its own."""
