"""Badge artwork: parametric SVG templates, safe uploads, rendering, baking."""
