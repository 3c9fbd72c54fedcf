"""Images to model inputs: digits from drawings and photos, hands and letters from frames, reading and spelling."""
