"""From a question to numbers: scenarios resolved into columns and evaluated through the rules in one pass."""
