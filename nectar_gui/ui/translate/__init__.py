"""The Translate tab: pick a model, open any image, translate, compare, save; batches."""
