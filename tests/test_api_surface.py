"""Pins the public API surface: import paths, constructor signatures, key methods.

Programs written for PuzzleLib 1.0 pass arguments by keyword and import from fixed paths, so a
rename, a reordered argument or a changed default breaks them. Every entry below is checked
exactly; a failure here means a user-visible API change (fix the code, or, if the change is
intended and matches ../shared/docs/puzzlelib-api.md, the entry).

To add your classes, append entries to the tables (one line each, keep the existing ones):

- EXPORTS: "package": [names importable from it];
- CONSTRUCTORS: "module.path:Class": "(signature of __init__ without self)";
- METHOD_SIGNATURES: "module.path:Class.method": "(signature without self)";
- METHODS: "module.path:Class": [method / attribute names the class must have].

Signatures are compared as ``str(inspect.signature(...))`` with ``self`` dropped, e.g.
"(insize, outsize, wscale=1.0, ...)".
"""
import importlib
import inspect

import pytest

EXPORTS = {
    "PuzzleLib": ["Config", "Variable", "Backend", "Modules", "Containers", "Cost", "Optimizers", "Handlers"],
    "PuzzleLib.Config": ["backend", "Backend", "globalEvalMode", "disableDtypeShapeChecks", "showWarnings",
                         "getLogger"],
    "PuzzleLib.Backend.gpuarray": ["to_gpu", "empty", "zeros", "GPUArray", "dtypesSupported"],
    "PuzzleLib.Variable": ["Variable"],
    "PuzzleLib.Errors": ["PuzzleLibError", "ModuleError", "ContainerError", "CostError", "OptimizerError",
                         "HandlerError", "SerializationError", "BlueprintError", "ConverterError", "ConfigError",
                         "BackendError", "VariableError", "DatasetError", "WorkbenchError", "TransformerError",
                         "GridError"],
    "PuzzleLib.Modules": ["Module", "ModuleError", "Linear", "Activation", "ActivationType", "sigmoid", "tanh",
                          "relu", "leakyRelu", "elu", "softPlus", "clip", "PadMode", "GroupMode", "InitScheme",
                          "UpsampleMode", "PenaltyMode", "InjectMode", "NoiseType", "RNNMode", "DirectionMode"],
    "PuzzleLib.Modules.Activation": ["Activation", "ActivationType", "sigmoid", "tanh", "relu", "leakyRelu", "elu",
                                     "softPlus", "clip"],
    "PuzzleLib.Modules.Pad1D": ["Pad1D", "PadMode"],
    "PuzzleLib.Modules.Pad2D": ["Pad2D", "PadMode"],
    "PuzzleLib.Modules.GroupLinear": ["GroupLinear", "GroupMode"],
    "PuzzleLib.Modules.Upsample2D": ["Upsample2D", "UpsampleMode"],
    "PuzzleLib.Modules.Upsample3D": ["Upsample3D", "UpsampleMode"],
    "PuzzleLib.Modules.Penalty": ["Penalty", "PenaltyMode"],
    "PuzzleLib.Modules.NoiseInjector": ["NoiseInjector", "InjectMode", "NoiseType"],
    "PuzzleLib.Modules.RNN": ["RNN", "RNNMode", "DirectionMode"],
    "PuzzleLib.Containers": ["Container", "Sequential"],
    "PuzzleLib.Cost": ["Cost", "MSE"],
    "PuzzleLib.Optimizers": ["Optimizer", "SGD", "MomentumSGD", "NesterovSGD", "Adam", "AdaGrad", "AdaDelta",
                             "RMSProp", "RMSPropGraves", "SMORMS3"],
    "PuzzleLib.Handlers": ["Handler", "Trainer", "Validator", "Calculator", "saveCheckpoint", "loadCheckpoint"],
    "PuzzleLib.Serialization": [],
    "PuzzleLib.Blueprint": ["load"],
    "PuzzleLib.Datasets": ["DigitsLoader", "ImageFolderLoader", "Cifar10Loader", "IMDBLoader", "MnistLoader",
                           "PathLoader", "SmallNorbLoader", "TarLoader", "ZipLoader", "InputLoader", "Utils"],
    "PuzzleLib.Datasets.Utils": ["validate", "splitData", "replicateData", "permutateData", "checkShape", "getDim",
                                 "merge", "merge2D", "split2D", "resizeDataToSize"],
    "PuzzleLib.Statistics": ["confusion", "precision", "recall", "accuracy", "fullstats"],
    "PuzzleLib.Transformers": ["Provider", "Serial", "Merger", "Generator", "Transformer", "Crop", "Flip", "Shift",
                               "Noise", "Affine"],
    "PuzzleLib.Models.Nets": ["loadLeNet", "loadResNet", "loadInceptionBN", "loadInceptionV3", "loadMiniYolo",
                              "loadNiNImageNet", "loadCOCO", "loadMPI", "loadUNet", "loadVGG", "loadW2L"],
    "PuzzleLib.Models.Nets.SentiNet": ["buildNet"],
    "PuzzleLib.Models.Misc.RBM": ["RBM"],
    "PuzzleLib.Models.Nets.Presets.SentiNet": ["train", "buildTrainValidate"],
    "PuzzleLib.Visual": ["loadImage", "loadImageFromBytes", "imageToArray", "showImage", "showImageBatch",
                         "showImageBatchInFolder", "showFilters", "showImageBasedFilters", "normalizeImageInplace",
                         "imageToInt", "whiten", "VisualError"],
    "PuzzleLib.Board": ["drawBoard"],
    "PuzzleLib.Workbench": ["Problem", "Settings", "Run", "Event"],
    "PuzzleLib.Converter.ONNX": ["ONNXExporter", "load"],
    "PuzzleLib.Passes.ConvertToGraph": ["toGraph"],
    "PuzzleLib.Grid": ["runGrid", "ParentNode", "ChildNode", "Communicator", "DataParallel", "gridNode"],
    "PuzzleLib.Testing": ["gradcheck", "numericalGrad"],
    "PuzzleLib.Web.server": ["makeApp", "serve"],
    "PuzzleLib.Web.runs": ["RunManager", "RunRecord", "RequestError", "validate"],
}

CONSTRUCTORS = {
    "PuzzleLib.Variable:Variable": "(data, name=None, withgrad=True, grad=None)",
    "PuzzleLib.Modules.Module:Module": "(name=None)",
    "PuzzleLib.Modules.Linear:Linear":
        "(insize, outsize, wscale=1.0, useBias=True, initscheme=None, name=None, empty=False, transpose=False)",
    "PuzzleLib.Modules.Activation:Activation": "(activation, slc=None, inplace=False, name=None, args=())",
    "PuzzleLib.Containers.Sequential:Sequential": "(name=None)",
    "PuzzleLib.Cost.MSE:MSE": "()",
    "PuzzleLib.Modules.Flatten:Flatten": "(name=None)",
    "PuzzleLib.Modules.Conv1D:Conv1D":
        "(inmaps, outmaps, size, stride=1, pad=0, dilation=1, wscale=1.0, useBias=True, name=None, "
        "initscheme=None, empty=False, groups=1)",
    "PuzzleLib.Modules.Conv2D:Conv2D":
        "(inmaps, outmaps, size, stride=1, pad=0, dilation=1, wscale=1.0, useBias=True, name=None, "
        "initscheme=None, empty=False, groups=1)",
    "PuzzleLib.Modules.Conv3D:Conv3D":
        "(inmaps, outmaps, size, stride=1, pad=0, dilation=1, wscale=1.0, useBias=True, name=None, "
        "initscheme=None, empty=False, groups=1)",
    "PuzzleLib.Modules.Deconv1D:Deconv1D":
        "(inmaps, outmaps, size, stride=1, pad=0, dilation=1, postpad=0, wscale=1.0, useBias=True, "
        "name=None, initscheme=None, empty=False, groups=1)",
    "PuzzleLib.Modules.Deconv2D:Deconv2D":
        "(inmaps, outmaps, size, stride=1, pad=0, dilation=1, postpad=0, wscale=1.0, useBias=True, "
        "name=None, initscheme=None, empty=False, groups=1)",
    "PuzzleLib.Modules.Deconv3D:Deconv3D":
        "(inmaps, outmaps, size, stride=1, pad=0, dilation=1, postpad=0, wscale=1.0, useBias=True, "
        "name=None, initscheme=None, empty=False, groups=1)",
    "PuzzleLib.Modules.MaxPool1D:MaxPool1D": "(size=2, stride=2, pad=0, useMask=False, name=None)",
    "PuzzleLib.Modules.MaxPool2D:MaxPool2D": "(size=2, stride=2, pad=0, useMask=False, name=None)",
    "PuzzleLib.Modules.MaxPool3D:MaxPool3D": "(size=2, stride=2, pad=0, name=None)",
    "PuzzleLib.Modules.AvgPool1D:AvgPool1D": "(size=2, stride=2, pad=0, includePad=True, name=None)",
    "PuzzleLib.Modules.AvgPool2D:AvgPool2D": "(size=2, stride=2, pad=0, includePad=True, name=None)",
    "PuzzleLib.Modules.AvgPool3D:AvgPool3D": "(size=2, stride=2, pad=0, includePad=True, name=None)",
    "PuzzleLib.Modules.BatchNorm:BatchNorm":
        "(size, epsilon=1e-05, initFactor=1.0, minFactor=0.1, sscale=0.01, affine=True, name=None, "
        "empty=False, inplace=False)",
    "PuzzleLib.Modules.BatchNorm1D:BatchNorm1D":
        "(maps, epsilon=1e-05, initFactor=1.0, minFactor=0.1, sscale=0.01, affine=True, name=None, "
        "empty=False, inplace=False)",
    "PuzzleLib.Modules.BatchNorm2D:BatchNorm2D":
        "(maps, epsilon=1e-05, initFactor=1.0, minFactor=0.1, sscale=0.01, affine=True, name=None, "
        "empty=False, inplace=False)",
    "PuzzleLib.Modules.BatchNorm3D:BatchNorm3D":
        "(maps, epsilon=1e-05, initFactor=1.0, minFactor=0.1, sscale=0.01, affine=True, name=None, "
        "empty=False, inplace=False)",
    "PuzzleLib.Modules.InstanceNorm2D:InstanceNorm2D": "(numOfMaps, epsilon=1e-05, affine=True, name=None)",
    "PuzzleLib.Cost.CrossEntropy:CrossEntropy": "(maxlabels=None, weights=None)",
    "PuzzleLib.Modules.Dropout:Dropout": "(p=0.5, rng=None, slicing=None, inplace=False, name=None)",
    "PuzzleLib.Modules.Dropout2D:Dropout2D": "(p=0.5, rng=None, slicing=None, inplace=False, name=None)",
    "PuzzleLib.Modules.Reshape:Reshape": "(shape, showWarnings=True, name=None)",
    "PuzzleLib.Modules.SoftMax:SoftMax": "(name=None)",
    "PuzzleLib.Modules.Identity:Identity": "(name=None)",
    "PuzzleLib.Modules.Add:Add": "(name=None)",
    "PuzzleLib.Modules.Mul:Mul": "(name=None)",
    "PuzzleLib.Modules.Concat:Concat": "(axis, name=None)",
    "PuzzleLib.Modules.Split:Split": "(axis, sections, name=None)",
    "PuzzleLib.Modules.Gelu:Gelu": "(inplace=False, name=None)",
    "PuzzleLib.Modules.PRelu:PRelu": "(maps, inplace=False, sharedMaps=False, name=None)",
    "PuzzleLib.Modules.Pad1D:Pad1D": "(pad, mode='constant', fillValue=None, name=None)",
    "PuzzleLib.Modules.Pad2D:Pad2D": "(pad, mode='constant', fillValue=None, name=None)",
    "PuzzleLib.Modules.Upsample2D:Upsample2D": "(scale=2, mode='nearest', name=None)",
    "PuzzleLib.Modules.Sum:Sum": "(axis, useWeights=True, name=None)",
    "PuzzleLib.Modules.Transpose:Transpose": "(axes=None, name=None)",
    "PuzzleLib.Modules.SwapAxes:SwapAxes": "(axis1, axis2, name=None)",
    "PuzzleLib.Modules.MoveAxis:MoveAxis": "(src, dst, name=None)",
    "PuzzleLib.Modules.Slice:Slice": "(slc=None, name=None)",
    "PuzzleLib.Modules.Tile:Tile": "(axis, times, name=None)",
    "PuzzleLib.Modules.Replicate:Replicate": "(times, name=None)",
    "PuzzleLib.Modules.Cast:Cast": "(intype, outtype, name=None)",
    "PuzzleLib.Modules.MulAddConst:MulAddConst": "(a=1.0, b=0.0, inplace=False, name=None)",
    "PuzzleLib.Cost.Abs:Abs": "()",
    "PuzzleLib.Cost.SmoothL1:SmoothL1": "()",
    "PuzzleLib.Cost.BCE:BCE": "()",
    "PuzzleLib.Cost.Hinge:Hinge": "()",
    "PuzzleLib.Cost.SVM:SVM": "(mode='l1')",
    "PuzzleLib.Cost.KLDivergence:KLDivergence": "(maxlabels=None, normTarget=False)",
    "PuzzleLib.Cost.L1Hinge:L1Hinge": "()",
    "PuzzleLib.Cost.Multi:Multi": "()",
    "PuzzleLib.Optimizers.SGD:SGD": "(learnRate=0.001, nodeinfo=None)",
    "PuzzleLib.Optimizers.MomentumSGD:MomentumSGD": "(learnRate=0.001, momRate=0.9, nodeinfo=None)",
    "PuzzleLib.Optimizers.NesterovSGD:NesterovSGD": "(learnRate=0.001, momRate=0.9, nodeinfo=None)",
    "PuzzleLib.Optimizers.Adam:Adam": "(alpha=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08, nodeinfo=None)",
    "PuzzleLib.Optimizers.AdaGrad:AdaGrad": "(learnRate=0.001, epsilon=1e-08, nodeinfo=None)",
    "PuzzleLib.Optimizers.AdaDelta:AdaDelta": "(rho=0.95, epsilon=1e-06, nodeinfo=None)",
    "PuzzleLib.Optimizers.RMSProp:RMSProp": "(learnRate=0.001, factor=0.9, epsilon=1e-05, nodeinfo=None)",
    "PuzzleLib.Optimizers.RMSPropGraves:RMSPropGraves":
        "(learnRate=0.0001, alpha=0.95, momRate=0.9, epsilon=0.0001, nodeinfo=None)",
    "PuzzleLib.Optimizers.SMORMS3:SMORMS3": "(learnRate=0.001, epsilon=1e-16, nodeinfo=None)",
    "PuzzleLib.Handlers.Handler:Handler": "(mod, onBatchFinish=None, batchsize=128)",
    "PuzzleLib.Handlers.Trainer:Trainer": "(mod, cost, optimizer, onBatchFinish=None, batchsize=128, onNonFinite='warn')",
    "PuzzleLib.Handlers.Validator:Validator": "(mod, cost, onBatchFinish=None, batchsize=128)",
    "PuzzleLib.Handlers.Calculator:Calculator": "(mod, onBatchFinish=None, batchsize=128)",
    "PuzzleLib.Containers.Parallel:Parallel": "(name=None)",
    "PuzzleLib.Containers.Graph:Graph": "(inputs, outputs, unsafe=False, nodesOnly=False, name=None)",
    "PuzzleLib.Modules.Embedder:Embedder":
        "(vocabulary, sentlength, embsize, onVocabulary=None, initscheme='uniform', wscale=1.0, learnable=True, "
        "name=None)",
    "PuzzleLib.Modules.RNN:RNN":
        "(insize, hsize, layers=1, mode='relu', direction='uni', dropout=0.0, getSequences=False, initscheme=None, "
        "modifier='orthogonal', wscale=1.0, hintBatchSize=None, name=None)",
    "PuzzleLib.Modules.GroupLinear:GroupLinear":
        "(groups, insize, outsize, wscale=1.0, useW=True, useBias=True, initscheme=None, inmode='full', "
        "wmode='full', batchDim=0, name=None, empty=False, transpW=False)",
    "PuzzleLib.Modules.KMaxPool:KMaxPool": "(topk, axis, name=None)",
    "PuzzleLib.Modules.NoiseInjector:NoiseInjector":
        "(mode='add', noisetype='uniform', params=(0.0, 1.0), rng=None, inplace=False, slicing=None, name=None)",
    "PuzzleLib.Modules.Penalty:Penalty": "(mode='l1', weight=0.01, name=None)",
    "PuzzleLib.Modules.Glue:Glue":
        "(modules=None, fwdGlue=None, bwdGlue=None, fwdShapeGlue=None, bwdShapeGlue=None, name=None)",
    "PuzzleLib.Modules.ToList:ToList": "(name=None)",
    "PuzzleLib.Modules.DepthConcat:DepthConcat": "(name=None)",
    "PuzzleLib.Modules.SpatialTf:SpatialTf": "(shape=None, name=None)",
    "PuzzleLib.Cost.CTC:CTC": "(blank, vocabsize=None, normalized=False)",
    "PuzzleLib.Modules.MaxUnpool2D:MaxUnpool2D": "(maxpool2d, name=None)",
    "PuzzleLib.Modules.Upsample3D:Upsample3D": "(scale=2, mode='nearest', name=None)",
    "PuzzleLib.Modules.LRN:LRN": "(N=5, alpha=0.0001, beta=0.75, K=2.0, name=None)",
    "PuzzleLib.Modules.CrossMapLRN:CrossMapLRN": "(N=5, alpha=0.0001, beta=0.75, K=2.0, name=None)",
    "PuzzleLib.Modules.MapLRN:MapLRN": "(N=5, alpha=0.0001, beta=0.75, K=2.0, name=None)",
    "PuzzleLib.Modules.LCN:LCN": "(N=5, alpha=0.0001, beta=0.75, K=2.0, includePad=True, name=None)",
    "PuzzleLib.Modules.SubtractMean:SubtractMean": "(size=5, includePad=True, name=None)",
    "PuzzleLib.Datasets.DataLoader:DataLoader": "(datanames=None, cachename=None)",
    "PuzzleLib.Datasets.MnistLoader:MnistLoader": "(onSample=None, cachename='mnist.hdf')",
    "PuzzleLib.Datasets.Cifar10Loader:Cifar10Loader": "(onSample=None, onSampleBatch=None, cachename='cifar10.hdf')",
    "PuzzleLib.Datasets.IMDBLoader:IMDBLoader":
        "(numwords=None, skiptop=0, maxlen=None, padchar=0, startchar=1, oovchar=2, indexFrom=3)",
    "PuzzleLib.Datasets.SmallNorbLoader:SmallNorbLoader": "(onSample=None, sampleInfo=None, cachename=None)",
    "PuzzleLib.Datasets.InputLoader:InputLoader":
        "(onFile=None, exts=None, dataname=None, cachename=None, onFileList=None)",
    "PuzzleLib.Datasets.ZipLoader:ZipLoader": "(onFile=None, exts=None, dataname=None, cachename=None, onFileList=None)",
    "PuzzleLib.Datasets.TarLoader:TarLoader": "(onFile=None, exts=None, dataname=None, cachename=None, onFileList=None)",
    "PuzzleLib.Datasets.PathLoader:PathLoader":
        "(onFile=None, exts=None, dataname=None, cachename=None, onFileList=None, doOpen=True)",
    "PuzzleLib.Converter.ONNX.Exporter:ONNXExporter": "(validate=True, exportWeights=True)",
    "PuzzleLib.Transformers.Provider:Provider": "(numofthreads=4)",
    "PuzzleLib.Transformers.Serial:Serial": "(dataset, labels=None, numofthreads=4)",
    "PuzzleLib.Transformers.Merger:Merger": "(datasets, labelIds=None, numofthreads=4)",
    "PuzzleLib.Transformers.Generator:Generator": "(numofthreads=4)",
    "PuzzleLib.Grid.DataParallel:DataParallel": "(trainer, syncBatchNorm=False, quietRanks=True, node=None)",
    "PuzzleLib.Grid.Communicator:Communicator": "(mpiComm=None)",
}

METHOD_SIGNATURES = {
    "PuzzleLib.Modules.Module:Module.backward": "(grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=0.0)",
    "PuzzleLib.Modules.Module:Module.__call__": "(data)",
    "PuzzleLib.Modules.Module:Module.updateData": "(data)",
    "PuzzleLib.Modules.Module:Module.updateGrad": "(grad)",
    "PuzzleLib.Modules.Module:Module.accGradParams": "(grad, scale=1.0, momentum=0.0)",
    "PuzzleLib.Modules.Module:Module.dataShapeFrom": "(shape)",
    "PuzzleLib.Modules.Module:Module.gradShapeFrom": "(shape)",
    "PuzzleLib.Modules.Module:Module.calcMode": "(dtype)",
    "PuzzleLib.Modules.Module:Module.paramSize": "(unit=None)",
    "PuzzleLib.Modules.Module:Module.node": "(*parents)",
    "PuzzleLib.Containers.Parallel:Parallel.backward":
        "(grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=1.0)",
    "PuzzleLib.Containers.Graph:Graph.backward": "(grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=1.0)",
    "PuzzleLib.Containers.Parallel:Parallel.append": "(mod)",
    "PuzzleLib.Containers.Sequential:Sequential.backward":
        "(grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=1.0)",
    "PuzzleLib.Containers.Sequential:Sequential.append": "(mod)",
    "PuzzleLib.Containers.Sequential:Sequential.insert": "(index, mod)",
    "PuzzleLib.Containers.Sequential:Sequential.pop": "(index=-1)",
    "PuzzleLib.Cost.Cost:Cost.__call__": "(pred, target, queryError=True)",
    "PuzzleLib.Cost.Cost:Cost.validate": "(pred, target)",
    "PuzzleLib.Optimizers.Optimizer:Optimizer.setupOn": "(mod, useGlobalState=False)",
    "PuzzleLib.Optimizers.Optimizer:Optimizer.update": "()",
    "PuzzleLib.Optimizers.Optimizer:Optimizer.zeroGradParams": "()",
    "PuzzleLib.Optimizers.Optimizer:Optimizer.addHook": "(hook)",
    "PuzzleLib.Handlers.Trainer:Trainer.train": "(data, target, random=True)",
    "PuzzleLib.Handlers.Trainer:Trainer.trainFromHost":
        "(data, target, macroBatchSize=10000, onMacroBatchFinish=None, random=True)",
    "PuzzleLib.Handlers.Validator:Validator.validate": "(data, target)",
    "PuzzleLib.Handlers.Validator:Validator.validateFromHost":
        "(data, target, macroBatchSize=10000, onMacroBatchFinish=None)",
    "PuzzleLib.Handlers.Calculator:Calculator.calc": "(data)",
    "PuzzleLib.Handlers.Calculator:Calculator.calcFromHost": "(data, macroBatchSize=10000, onMacroBatchFinish=None)",
    "PuzzleLib.Datasets.MnistLoader:MnistLoader.load": "(path, compress='gzip', log=True)",
    "PuzzleLib.Datasets.Cifar10Loader:Cifar10Loader.load": "(path, compress='gzip', log=True)",
    "PuzzleLib.Datasets.IMDBLoader:IMDBLoader.load": "(path, compress='gzip', log=True)",
    "PuzzleLib.Datasets.SmallNorbLoader:SmallNorbLoader.load":
        "(path, sort=False, compress='gzip', log=True, onlyTest=False)",
    "PuzzleLib.Datasets.InputLoader:InputLoader.load":
        "(inputnames, maxsamples=None, filepacksize=5000, compress='gzip', log=True)",
    "PuzzleLib.Datasets.Utils:splitData":
        "(data, labels=None, dim=0, validation=0.1, permutation=True, uniformVal=True)",
    "PuzzleLib.Datasets.Utils:validate": "(net, valData, valLabels, dim=0, batchsize=128, log=False)",
    "PuzzleLib.Datasets.Utils:replicateData": "(data, labels, dim=0, permutation=True)",
    "PuzzleLib.Datasets.Utils:permutateData": "(data, labels=None, constantMemory=False)",
    "PuzzleLib.Statistics:confusion": "(labels, predictions, dim=0, log=True)",
    "PuzzleLib.Statistics:fullstats": "(labels, predictions, dim=0, printing=True, verbose=True)",
    "PuzzleLib.Converter.ONNX.Exporter:ONNXExporter.export": "(net, inshape, savepath)",
    "PuzzleLib.Transformers.Provider:Provider.prepareData": "(chunksize=20000, **kwargs)",
    "PuzzleLib.Transformers.Provider:Provider.getNextChunk": "(chunksize, **kwargs)",
    "PuzzleLib.Transformers.Merger:Merger.prepareData": "(ratios=None, chunksize=20000, randomize=False, permutate=True)",
    "PuzzleLib.Transformers.Transformer:Transformer.__call__": "(batch, threadidx)",
    "PuzzleLib.Grid:runGrid": "(target, size, *args, devices=None, **kwargs)",
    "PuzzleLib.Grid.DataParallel:DataParallel.trainFromHost":
        "(data, target, macroBatchSize=10000, onMacroBatchFinish=None, random=True)",
    "PuzzleLib.Passes.ConvertToGraph:toGraph": "(module, unsafe=False, nodesOnly=False, assumeUniqueNames=False)",
    "PuzzleLib.Models.Nets.LeNet:loadLeNet":
        "(modelpath=None, initscheme='none', name=None, *, inmaps=None, insize=None, classes=None, maps=None, "
        "size=None, hidden=None, batchNorm=None)",
    "PuzzleLib.Models.Nets.ResNet:loadResNet":
        "(modelpath=None, layers=None, actInplace=False, bnInplace=False, initscheme='none', name=None, *, "
        "inmaps=None, insize=None, classes=None, maps=None, blocks=None)",
    "PuzzleLib.Models.Nets.VGG:loadVGG":
        "(modelpath, layers, poolmode='max', initscheme='none', withLinear=True, actInplace=False, name=None)",
    "PuzzleLib.Models.Nets.NiN:loadNiNImageNet":
        "(modelpath, poolmode='max', actInplace=False, initscheme='none', name='CaffeNet')",
    "PuzzleLib.Models.Nets.Inception:loadInceptionBN":
        "(modelpath, actInplace=False, bnInplace=False, initscheme='none', name='Inception-BN-0126')",
    "PuzzleLib.Models.Nets.Inception:loadInceptionV3":
        "(modelpath, actInplace=False, bnInplace=False, initscheme='none', name='Inception-7-0001')",
    "PuzzleLib.Models.Nets.UNet:loadUNet": "(modelpath, actInplace=False, initscheme='none')",
    "PuzzleLib.Models.Nets.MiniYolo:loadMiniYolo": "(modelpath, numOutput, actInplace=False, initscheme='none')",
    "PuzzleLib.Models.Nets.WaveToLetter:loadW2L": "(modelpath, inmaps, nlabels, initscheme=None, name='w2l')",
    "PuzzleLib.Models.Nets.OpenPose:loadCOCO": "(modelpath, name='', inplace=False)",
    "PuzzleLib.Models.Nets.OpenPose:loadMPI": "(modelpath, name='OpenPoseFaceNet')",
    "PuzzleLib.Models.Nets.SentiNet:buildNet":
        "(vocabulary, branches, w2v, sentlength, embsize, wscale, dim=2, branchMaps=100, name='sentinet')",
    "PuzzleLib.Models.Misc.RBM:RBM.calcCDGrad": "(data)",
    "PuzzleLib.Models.Misc.RBM:RBM.calcPCDGrad": "(data)",
    "PuzzleLib.Models.Nets.Presets.SentiNet:train":
        "(net, trainData, trainLabels, valData, valLabels, dim=0, epochs=50, epochsBeforeSaving=0, saving=True, "
        "printing=True, macroBatchSize=30000, optimizeNet=True)",
    "PuzzleLib.Models.Nets.Presets.SentiNet:buildTrainValidate":
        "(data, labels, vocabulary=None, w2v=None, wscale=0.25, embsize=300, padding=4, dim=2, sentlength=100, "
        "epochs=5, epochsBeforeSaving=0, branches=(3, 4, 5), saving=True, printing=True)",
    "PuzzleLib.Board:drawBoard":
        "(net, filename, view=True, fmt='svg', modulesOnly=False, name=None, fontname='Consolas', fullnames=True)",
    "PuzzleLib.Visual:loadImage": "(filename, shape=None, normalize=True, mapsToFront=True, contiguous=True)",
    "PuzzleLib.Visual:showFilters": "(filters, filename, offset=4, normalize=True)",
    "PuzzleLib.Visual:showImageBasedFilters": "(filters, filename, cols=16, offset=4, normalize=True)",
    "PuzzleLib.Visual:whiten": "(batch, epsilon=0.01, PCA=False)",
}

METHODS = {
    "PuzzleLib.Workbench.engine:Run": ["listen", "start", "stop", "stopping"],
    "PuzzleLib.Workbench.problem:Problem": ["fromFormula", "fromCsv", "inputs", "asDict"],
    "PuzzleLib.Modules.Module:Module": [
        "__call__", "backward", "updateData", "updateGrad", "accGradParams", "dataShapeFrom", "gradShapeFrom",
        "checkDataShape", "checkDataType", "checkGradShape", "checkGradType", "trainMode", "evalMode", "reset",
        "getVarTable", "setVar", "getVar", "setAttr", "getAttr", "numOfParams", "paramSize", "calcMode", "save",
        "load", "getBlueprint", "updateParams", "zeroGradParams", "optimizeForShape",
    ],
    "PuzzleLib.Containers.Container:Container": ["getByName", "getAllByType", "trainMode", "evalMode"],
    "PuzzleLib.Containers.Sequential:Sequential": ["append", "extend", "insert", "pop", "__getitem__", "__len__"],
    "PuzzleLib.Cost.Cost:Cost": ["__call__", "getError", "getMeanError", "validate", "resetAccumulator"],
    "PuzzleLib.Optimizers.Optimizer:Optimizer": ["setupOn", "zeroGradParams", "update", "addHook", "save", "load"],
    "PuzzleLib.Handlers.Handler:Handler": ["handle", "handleFromHost"],
    "PuzzleLib.Handlers.Trainer:Trainer": ["train", "trainFromHost"],
    "PuzzleLib.Handlers.Validator:Validator": ["validate", "validateFromHost"],
    "PuzzleLib.Handlers.Calculator:Calculator": ["calc", "calcFromHost"],
    "PuzzleLib.Transformers.Provider:Provider": ["addTransformer", "prepareData", "getData", "closePool", "__enter__",
                                                 "__exit__"],
    "PuzzleLib.Grid.ParentNode:ParentNode": ["meanValue", "broadcastBuffer", "sumTensor", "close"],
    "PuzzleLib.Grid.ChildNode:ChildNode": ["meanValue", "broadcastBuffer", "sumTensor", "close"],
    "PuzzleLib.Backend.gpuarray:GPUArray": [
        "get", "set", "fill", "shape", "dtype", "size", "nbytes", "ndim", "ravel", "reshape", "copy", "astype",
    ],
}


def _resolve(spec):
    """'a.b.c:Class.attr' -> the object (importing the module a.b.c)."""
    modname, _, qualname = spec.partition(":")
    obj = importlib.import_module(modname)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _importable(mod, package, name):
    """What ``from package import name`` accepts: an attribute, or a submodule."""
    if hasattr(mod, name):
        return True
    try:
        importlib.import_module("%s.%s" % (package, name))
    except ImportError:
        return False
    return True


def _signatureWithoutSelf(func):
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    if params and params[0].name == "self":
        params = params[1:]
    return str(sig.replace(parameters=params))


@pytest.mark.parametrize("package", sorted(EXPORTS))
def test_exports(package):
    mod = importlib.import_module(package)
    missing = [name for name in EXPORTS[package] if not _importable(mod, package, name)]
    assert not missing, "%s does not export %s" % (package, missing)


@pytest.mark.parametrize("spec", sorted(CONSTRUCTORS))
def test_constructor_signature(spec):
    cls = _resolve(spec)
    assert inspect.isclass(cls), spec
    assert _signatureWithoutSelf(cls.__init__) == CONSTRUCTORS[spec]


@pytest.mark.parametrize("spec", sorted(CONSTRUCTORS))
def test_class_reexported_by_its_package(spec):
    # "from PuzzleLib.Modules import Linear" and "PuzzleLib/Modules/Linear.py" give the same class
    modname, _, clsname = spec.partition(":")
    package = modname.rsplit(".", 1)[0]
    if package == "PuzzleLib":
        return
    assert getattr(importlib.import_module(package), clsname) is _resolve(spec)


@pytest.mark.parametrize("spec", sorted(METHOD_SIGNATURES))
def test_method_signature(spec):
    assert _signatureWithoutSelf(_resolve(spec)) == METHOD_SIGNATURES[spec]


@pytest.mark.parametrize("spec", sorted(METHODS))
def test_methods_present(spec):
    cls = _resolve(spec)
    missing = [name for name in METHODS[spec] if not hasattr(cls, name)]
    assert not missing, "%s lacks %s" % (spec, missing)


def test_activation_constants_are_their_names():
    act = importlib.import_module("PuzzleLib.Modules.Activation")
    for name in ("sigmoid", "tanh", "relu", "leakyRelu", "elu", "softPlus", "clip"):
        assert getattr(act, name) == name


def test_config_logger_and_backend_values():
    from PuzzleLib import Config
    assert Config.getLogger().name == "PuzzleLib"
    assert {"cpu", "cuda", "hip", "intel"} <= {b.value for b in Config.Backend}
    assert Config.globalEvalMode is False
    assert Config.disableDtypeShapeChecks is False


def test_errors_derive_from_one_base():
    from PuzzleLib import Errors
    for name in EXPORTS["PuzzleLib.Errors"]:
        assert issubclass(getattr(Errors, name), Errors.PuzzleLibError)
