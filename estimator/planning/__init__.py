"""From a question to numbers: scenarios resolved into columns and evaluated through the rules in one pass
(resolution, engine, grid, sensitivity, uncertainty, deadline, budget planning, serving)."""
