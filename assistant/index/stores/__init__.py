"""Where index builds live, and where the truth about them does: the seam (``base``) and its stores."""
