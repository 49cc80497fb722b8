"""Staff imports of boundary layers and facility registries.

Every import reads the uploaded file in a temporary folder, builds a plan
(the diff against the stored rows, with every problem found), and applies
the plan in one transaction only when nothing in it failed. The rows an
import replaces are kept on its :class:`~geoservices.models.ImportRecord`
so that the last import of a table can be restored.
"""
