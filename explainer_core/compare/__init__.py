"""Comparing explanations and models: VAC-CNN's measures (Xuan et al., 2022, Sects. 4-5) and RISE's faithfulness.

Every measure takes plain arrays (maps in [0, 1], pictures, softmax outputs,
model cards), so it works on the maps of any method and any model:

* ``thresholds``: contour levels and lines of a map, the picture with low attention removed;
* ``similarity``: the similarity matrix of several maps by L1, MSE, SSIM or an average hash;
* ``distribution``: Algorithm 1's class distances and their t-SNE projection, and the pictures' projection;
* ``histograms``: colour intensity histograms of the salient region;
* ``accuracy``: the accuracy overview from model cards, and where the models disagree;
* ``faithfulness``: deletion and insertion curves (beyond VAC-CNN), the one measure that runs a model;
* ``cases``: the claims of the case studies (per-class misses, who misses which photo, map agreement).
"""

from .accuracy import GROUPS, Agreement, ClassSpread, ModelAccuracy, accuracy_overview, disagreement
from .cases import class_report, method_ranking, photo_misses, salient_colours, split_similarity, zoo_misses
from .distribution import class_distances, project_classes, project_images
from .faithfulness import Curve, area_under_curve, deletion_curve, insertion_curve
from .histograms import salient_histograms
from .similarity import RULES, distance_matrix, similarity_matrix
from .thresholds import contour_levels, contours, remove_below

__all__ = [
    "GROUPS",
    "RULES",
    "Agreement",
    "ClassSpread",
    "Curve",
    "ModelAccuracy",
    "accuracy_overview",
    "area_under_curve",
    "class_distances",
    "class_report",
    "contour_levels",
    "contours",
    "deletion_curve",
    "disagreement",
    "distance_matrix",
    "insertion_curve",
    "method_ranking",
    "photo_misses",
    "project_classes",
    "project_images",
    "remove_below",
    "salient_colours",
    "salient_histograms",
    "similarity_matrix",
    "split_similarity",
    "zoo_misses",
]
