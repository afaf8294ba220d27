"""Administration: a city's own administrators manage their city (departments, staff and roles,
windows and counter groups, procedure overrides and fees) under /staff/city/, and the system
administrator manages the cities themselves under /system/. The top layer: it may read every
app below it, and no app imports it."""
