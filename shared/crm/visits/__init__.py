"""Field visits (拜访): plans, check-in with geofence and photos, offline sync, coverage."""
