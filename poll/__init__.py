"""`fleetwire poll`: pull sources (Geotab's data feed) into their raw topic, exactly once."""
