"""PDF rendering (fpdf2): handout pages and exercise pictures."""
