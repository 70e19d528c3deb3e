"""`solicitations request-reviews`: ask every buyer whose order is in its window, once, at the plan's pace."""
