"""Receivers: sources that providers push to (inbound-SMS webhooks), as opposed to pollers that we call."""
