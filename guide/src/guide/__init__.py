"""The public guide: the integration programme's user-friendly version (programme §5), in the clients'
languages, with the drop-in hours, the contact form and the QR flyer. No login and no personal data:
the contact form is forwarded to intake's public endpoint and nothing of it is kept here."""
