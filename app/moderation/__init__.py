"""Moderation on the network: hide, unhide, delete, like and unlike a message, mirrored in Carebox."""
