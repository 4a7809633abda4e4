"""What a programme is made of, validated: frameworks, cities and convenings, practices and action plans."""
