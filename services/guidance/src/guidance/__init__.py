"""Guidance: referrals to services, counselling visits, the service catalogue and the public guide."""
