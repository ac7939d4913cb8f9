"""Stage ④: rule matches in; alerts, their lifecycle, sinks and device commands out."""
