from .models_tus import TusUpload

__all__ = ["TusUpload"]
