"""loadCOCO and loadMPI: PuzzleLib 1.0's OpenPose body (COCO) and face keypoint nets."""
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Models.Nets._fork import fork
from PuzzleLib.Modules.Activation import Activation, relu
from PuzzleLib.Modules.Conv2D import Conv2D
from PuzzleLib.Modules.Identity import Identity
from PuzzleLib.Modules.MaxPool2D import MaxPool2D


def _conv(seq, inmaps, outmaps, size, convname, reluname, initscheme, inplace=False):
    seq.append(Conv2D(inmaps, outmaps, size, pad=size // 2, initscheme=initscheme, name=convname))
    if reluname is not None:
        seq.append(Activation(relu, inplace=inplace, name=reluname))
    return seq




def loadCOCO(modelpath, name="", inplace=False):
    """The OpenPose body-pose net for COCO (Cao et al., https://arxiv.org/abs/1611.08050) as
    PuzzleLib 1.0 builds it: a VGG front (conv1_1..conv4_2, conv4_3_CPM, conv4_4_CPM), stage 1's
    two branches L1 (38 part affinity maps) and L2 (19 heatmaps), then stages 2..6 nested, each a
    Replicate, Parallel(previous stages, Identity) and Concat "concat_stage<t>" (185 maps) followed
    by its two 7x7 branches; the net ends with Concat of L2 then L1. Files load with
    ``assumeUniqueNames=True``; weights are left uninitialised (for loading a file).

    Parameters
    ----------
    modelpath : str, optional
        A model file to load.
    name : str
        The net's name ("" as upstream: file links read ".conv1_1.W").
    inplace : bool
        Run the ReLUs in place.

    Shape
    -----
    data: (N, 3, H, W) -> (N, 57, H/8, W/8): 19 heatmaps, then 38 part affinity fields.

    Example::

        >>> net = loadCOCO(None)
        >>> net.dataShapeFrom((1, 3, 64, 48))
        (1, 57, 8, 6)
    """
    init = "none"
    front = Sequential()
    vgg = [("1_1", 3, 64), ("1_2", 64, 64), ("2_1", 64, 128), ("2_2", 128, 128), ("3_1", 128, 256),
           ("3_2", 256, 256), ("3_3", 256, 256), ("3_4", 256, 256), ("4_1", 256, 512), ("4_2", 512, 512)]
    pools = {"1_2": 1, "2_2": 2, "3_4": 3}
    for tag, inmaps, outmaps in vgg:
        _conv(front, inmaps, outmaps, 3, "conv" + tag, "relu" + tag, init, inplace)
        if tag in pools:
            front.append(MaxPool2D(name="pool%d_stage1" % pools[tag]))
    _conv(front, 512, 256, 3, "conv4_3_CPM", "relu4_3_CPM", init, inplace)
    _conv(front, 256, 128, 3, "conv4_4_CPM", "relu4_4_CPM", init, inplace)

    def stage1Branch(k, outmaps):
        seq = Sequential()
        for i in (1, 2, 3):
            _conv(seq, 128, 128, 3, "conv5_%d_CPM_L%d" % (i, k), "relu5_%d_CPM_L%d" % (i, k), init, inplace)
        _conv(seq, 128, 512, 1, "conv5_4_CPM_L%d" % k, "relu5_4_CPM_L%d" % k, init, inplace)
        return _conv(seq, 512, outmaps, 1, "conv5_5_CPM_L%d" % k, None, init)

    def stageBranch(t, k, outmaps):
        seq = Sequential()
        for i in range(1, 6):
            _conv(seq, 185 if i == 1 else 128, 128, 7, "Mconv%d_stage%d_L%d" % (i, t, k),
                  "Mrelu%d_stage%d_L%d" % (i, t, k), init, inplace)
        _conv(seq, 128, 128, 1, "Mconv6_stage%d_L%d" % (t, k), "Mrelu6_stage%d_L%d" % (t, k), init, inplace)
        return _conv(seq, 128, outmaps, 1, "Mconv7_stage%d_L%d" % (t, k), None, init)

    # stage 1 turns the front's 128 features into concat_stage2: 38 + 19 maps and the features again;
    # stage t wraps the stages before it and adds its own branches and the features: 185 maps
    block = fork(Sequential(), [stage1Branch(1, 38), stage1Branch(2, 19), Identity()], "concat_stage2")
    for t in range(2, 6):
        inner = Sequential().extend(list(block))
        fork(inner, [stageBranch(t, 1, 38), stageBranch(t, 2, 19)], None)
        block = fork(Sequential(), [inner, Identity()], "concat_stage%d" % (t + 1))
    net = Sequential(name=name)
    net.extend(list(front))
    net.extend(list(block))
    fork(net, [stageBranch(6, 2, 19), stageBranch(6, 1, 38)], None)
    if modelpath is not None:
        net.load(modelpath, assumeUniqueNames=True)
    return net


def loadMPI(modelpath, name="OpenPoseFaceNet"):
    """PuzzleLib 1.0's OpenPose face net (71 keypoints; the name is upstream's): a VGG front
    (conv1_1..conv5_2, relus "<conv>_re", 2x2 pools pool1..pool3), conv5_3_CPM (512 -> 128), then
    six nested stages: stage 1 = conv6_1_CPM (128 -> 512, 1x1), relu, conv6_2_CPM (512 -> 71);
    stage t = Replicate, Parallel(stage t-1, Identity), Concat "features_in_stage_t" (199 maps),
    Mconv1..Mconv5_stage<t> (7x7), Mconv6 (1x1), Mconv7_stage<t> (128 -> 71). Files load with
    ``assumeUniqueNames=True``; weights start xavier-initialised.

    Parameters
    ----------
    modelpath : str, optional
        A model file to load.
    name : str

    Shape
    -----
    data: (N, 3, H, W) -> (N, 71, H/8, W/8).

    Example::

        >>> net = loadMPI(None)
        >>> net.dataShapeFrom((1, 3, 32, 40))
        (1, 71, 4, 5)
    """
    init = None
    net = Sequential(name=name)
    vgg = [("1_1", 3, 64), ("1_2", 64, 64), ("2_1", 64, 128), ("2_2", 128, 128), ("3_1", 128, 256),
           ("3_2", 256, 256), ("3_3", 256, 256), ("3_4", 256, 256), ("4_1", 256, 512), ("4_2", 512, 512),
           ("4_3", 512, 512), ("4_4", 512, 512), ("5_1", 512, 512), ("5_2", 512, 512)]
    pools = {"1_2": 1, "2_2": 2, "3_4": 3}
    for tag, inmaps, outmaps in vgg:
        _conv(net, inmaps, outmaps, 3, "conv" + tag, "conv%s_re" % tag, init)
        if tag in pools:
            net.append(MaxPool2D(2, 2, name="pool%d" % pools[tag]))
    _conv(net, 512, 128, 3, "conv5_3_CPM", "conv5_3_CPM_re", init)

    stage = Sequential()
    _conv(stage, 128, 512, 1, "conv6_1_CPM", "conv6_1_CPM_re", init)
    _conv(stage, 512, 71, 1, "conv6_2_CPM", None, init)
    for t in range(2, 7):
        outer = fork(Sequential(), [stage, Identity()], "features_in_stage_%d" % t)
        for i in range(1, 6):
            _conv(outer, 199 if i == 1 else 128, 128, 7, "Mconv%d_stage%d" % (i, t), "Mconv%d_stage%d_re" % (i, t),
                  init)
        _conv(outer, 128, 128, 1, "Mconv6_stage%d" % t, "Mconv6_stage%d_re" % t, init)
        _conv(outer, 128, 71, 1, "Mconv7_stage%d" % t, None, init)
        stage = outer
    net.extend(list(stage))
    if modelpath is not None:
        net.load(modelpath, assumeUniqueNames=True)
    return net
