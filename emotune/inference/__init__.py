"""Emotion inference: the classifier interface and the Keras implementation."""
from emotune.inference.classifier import EmotionClassifier, ModelUnavailable

__all__ = ["EmotionClassifier", "ModelUnavailable"]
