// Form builder (filled in below).
