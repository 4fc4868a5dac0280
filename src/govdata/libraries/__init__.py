"""Base libraries (基础库) and theme libraries (主题库) assembled from aggregated resources."""
