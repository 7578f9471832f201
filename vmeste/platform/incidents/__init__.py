"""Incidents: social-media posts turned into incidents, triaged, routed, answered from the
official account, on an SLA."""
