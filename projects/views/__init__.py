from .public import project_detail, project_english, project_list

__all__ = ["project_detail", "project_english", "project_list"]
