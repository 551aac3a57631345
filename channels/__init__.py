"""Channel adapters (WhatsApp through Twilio, Telegram, e-mail, web) behind one small Protocol."""
