"""WhatsApp through Twilio: the adapter (webhooks, sending, the 24 h rule), media downloads, text shaping."""
