"""The comparison view (VAC-CNN's task selection, visual explanation and supplemental views); its builder follows."""
